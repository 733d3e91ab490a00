// render_response: an HTML response rendered from a Mustache template
// (templates/<name>.mustache, with the mustache package, which escapes HTML).
//
// Event:
//   {"template": "product_list" | "user_page", "status": 200, "data": ...}
//   product_list data: the LoadProducts Map's results,
//     [{"product": get_product's result, "price": {"amount", "currency"}}, ...]
//   user_page data: {"user": get_user's result, "orders": get_orders' result,
//                    "recommendations": ["p-500", ...]}
//
// Result:
//   {"status": 200, "headers": {"content-type": "text/html; charset=utf-8"},
//    "body": "<!DOCTYPE html>..."}
//
// Errors: Render.UnknownTemplate, Render.BadData (data of the wrong shape for the template).

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const Mustache = require('mustache');

class RenderError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name; // the ASL error name the engine reports
  }
}

// Each template turns the event's data into the view its .mustache file expects.
const VIEWS = {
  product_list(data) {
    if (!Array.isArray(data)) {
      throw new RenderError('Render.BadData', 'product_list needs an array');
    }
    const products = data.map((item) => {
      const product = item?.product ?? {};
      const price = item?.price ?? {};
      return {
        name: product.name ?? item?.productId ?? '?',
        category: product.category ?? '',
        price: money(price.amount, price.currency),
        availability: product.inStock ? 'in stock' : 'sold out',
        inStock: Boolean(product.inStock),
      };
    });
    return { products, count: products.length, inStock: products.filter((p) => p.inStock).length };
  },
  user_page(data) {
    if (!data || typeof data !== 'object' || !data.user) {
      throw new RenderError('Render.BadData',
        'user_page needs {"user", "orders", "recommendations"}');
    }
    const orders = (data.orders ?? []).map((o) => ({ ...o, total: money(o.total, o.currency) }));
    return { user: data.user, orders, recommendations: data.recommendations ?? [] };
  },
};

const templates = new Map();

function template(name) {
  if (!templates.has(name)) {
    const file = path.join(__dirname, 'templates', `${name}.mustache`);
    templates.set(name, fs.readFileSync(file, 'utf8'));
  }
  return templates.get(name);
}

exports.handler = async (event) => {
  const name = event.template;
  if (!Object.hasOwn(VIEWS, name)) {
    throw new RenderError('Render.UnknownTemplate', `no template named ${JSON.stringify(name)}`);
  }
  const body = Mustache.render(template(name), VIEWS[name](event.data));
  return {
    status: Number.isInteger(event.status) ? event.status : 200,
    headers: { 'content-type': 'text/html; charset=utf-8' },
    body,
  };
};

function money(amount, currency) {
  return typeof amount === 'number' ? `${amount.toFixed(2)} ${currency ?? ''}`.trim() : '?';
}
