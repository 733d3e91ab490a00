// get_price: the list price of a product (prices.json).
//
// Event:   {"productId": "p-100", "userId": "u-1042"}   userId is optional and unused:
//                                                       every customer pays the list price
// Result:  {"productId": "p-100", "amount": 12.5, "currency": "EUR", "amountCents": 1250}
//
// Prices are kept in cents, so amounts are exact; "amount" is the same in units.
//
// Errors: Pricing.NotFound (no price for the product).

'use strict';

const { currency, pricesInCents } = require('./prices.json');

class NotFound extends Error {
  constructor(message) {
    super(message);
    this.name = 'Pricing.NotFound'; // the ASL error name the engine reports
  }
}

exports.handler = async (event) => {
  const { productId } = event;
  if (!Object.hasOwn(pricesInCents, productId)) {
    throw new NotFound(`no price for product ${JSON.stringify(productId)}`);
  }
  const cents = pricesInCents[productId];
  return { productId, amount: cents / 100, currency, amountCents: cents };
};
