// get_orders: a user's most recent orders, with their totals (orders.json).
//
// Event:   {"userId": "u-1042", "limit": 10}      limit is optional, default 10
// Result:  [{"orderId": "o-10003", "placedAt": "2025-05-21T08:05:00Z", "status": "shipped",
//            "items": 2, "total": 54.9, "currency": "EUR"}, ...]   newest first
//
// A user without orders gets an empty list. Totals are summed in cents, so they are exact.
//
// Errors: Orders.BadRequest (limit is not a positive integer).

'use strict';

const { currency, orders } = require('./orders.json');

class BadRequest extends Error {
  constructor(message) {
    super(message);
    this.name = 'Orders.BadRequest'; // the ASL error name the engine reports
  }
}

exports.handler = async (event) => {
  const limit = event.limit ?? 10;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new BadRequest(`limit must be a positive integer, not ${JSON.stringify(limit)}`);
  }
  const cents = (order) =>
    order.lines.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0);
  return orders
    .filter((order) => order.userId === event.userId)
    .sort((a, b) => (a.placedAt < b.placedAt ? 1 : -1))
    .slice(0, limit)
    .map((order) => ({
      orderId: order.orderId,
      placedAt: order.placedAt,
      status: order.status,
      items: order.lines.reduce((n, line) => n + line.quantity, 0),
      total: cents(order) / 100,
      currency,
    }));
};
