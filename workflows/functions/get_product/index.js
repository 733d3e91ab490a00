// get_product: look a product up in the catalog (catalog.json).
//
// Event:   {"id": "p-100"}
// Result:  {"id": "p-100", "name": "Espresso cup", "category": "tableware",
//           "stock": 24, "inStock": true}
//
// Errors:
//   Catalog.NotFound            no product with that id
//   Catalog.ReplicaUnavailable  a fault to demonstrate Retry: the ids listed
//                               (comma-separated) in the environment variable
//                               EXAMPLE_FLAKY_PRODUCTS fail on the first attempt
//                               of each Task (context.attempt 0) and succeed on a retry.
//                               Unset, nothing fails this way.

'use strict';

const { products } = require('./catalog.json');

const byId = new Map(products.map((p) => [p.id, p]));

class CatalogError extends Error {
  constructor(name, message) {
    super(message);
    this.name = name; // the ASL error name the engine reports
  }
}

exports.handler = async (event, context) => {
  const id = event.id;
  const flaky = (process.env.EXAMPLE_FLAKY_PRODUCTS || '').split(',').map((s) => s.trim());
  if (flaky.includes(id) && !(context && context.attempt > 0)) {
    throw new CatalogError('Catalog.ReplicaUnavailable',
      `the catalog replica holding ${id} is restarting; try again`);
  }
  const product = byId.get(id);
  if (!product) throw new CatalogError('Catalog.NotFound', `no product ${JSON.stringify(id)}`);
  return { ...product, inStock: product.stock > 0 };
};
