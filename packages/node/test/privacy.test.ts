// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { redactAttributes, sanitizeSql } from '../src/privacy.js';

describe('sanitizeSql', () => {
  it.each([
    [
      "SELECT * FROM users WHERE email = 'a@b.c' AND age > 42",
      'SELECT * FROM users WHERE email = ? AND age > ?',
    ],
    ["INSERT INTO t (a, b) VALUES ('it''s', -3.5e2)", 'INSERT INTO t (a, b) VALUES (?, ?)'],
    ['SELECT $1::int + 1 FROM t2 LIMIT 10', 'SELECT $1::int + ? FROM t2 LIMIT ?'],
    ['SELECT $$secret body$$', 'SELECT ?'],
    ['SELECT col1, "table2".x FROM table3', 'SELECT col1, "table2".x FROM table3'],
  ])('%s', (input, expected) => {
    expect(sanitizeSql(input)).toBe(expected);
  });
});

describe('redactAttributes', () => {
  it('drops url.query and strips the query from URLs', () => {
    const result = redactAttributes(
      { 'url.query': 'token=abc', 'url.full': 'https://api.example/x?token=abc#frag', 'url.path': '/x' },
      false,
    );
    expect(result).toEqual({ 'url.full': 'https://api.example/x', 'url.path': '/x' });
  });

  it('keeps query strings when the user opted in, but never credential headers', () => {
    const result = redactAttributes(
      {
        'url.query': 'a=1',
        'http.request.header.authorization': ['Bearer x'],
        'http.request.header.accept': ['*/*'],
      },
      true,
    );
    expect(result).toEqual({ 'url.query': 'a=1', 'http.request.header.accept': ['*/*'] });
  });

  it('returns undefined (no copy) when nothing is private', () => {
    expect(redactAttributes({ 'http.route': '/users/:id', 'url.full': 'http://h/p' }, false)).toBeUndefined();
    // fetch's client spans always carry url.query, empty when the URL has none.
    expect(redactAttributes({ 'url.query': '', 'url.full': 'http://h/p' }, false)).toBeUndefined();
  });

  it('drops a query whatever its type, and keeps the order of what stays', () => {
    const result = redactAttributes(
      {
        'url.scheme': 'https',
        'url.query': ['a=1'] as unknown as string,
        'url.path': '/p',
        'server.port': 443,
      },
      false,
    );
    expect(Object.entries(result!)).toEqual([
      ['url.scheme', 'https'],
      ['url.path', '/p'],
      ['server.port', 443],
    ]);
  });
});
