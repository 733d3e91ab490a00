// get_user: a user's profile from the user directory (users.json).
//
// Event:   {"id": "u-1042"}
// Result:  {"id": "u-1042", "name": "Ada Lovelace", "email": "ada@example.com",
//           "memberSince": "2021-12-10"}
//
// Errors: Users.NotFound (no user with that id).

'use strict';

const { users } = require('./users.json');

const byId = new Map(users.map((u) => [u.id, u]));

class NotFound extends Error {
  constructor(message) {
    super(message);
    this.name = 'Users.NotFound'; // the ASL error name the engine reports
  }
}

exports.handler = async (event) => {
  const user = byId.get(event.id);
  if (!user) throw new NotFound(`no user ${JSON.stringify(event.id)}`);
  return { ...user };
};
