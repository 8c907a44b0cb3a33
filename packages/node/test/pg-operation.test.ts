// SPDX-License-Identifier: Apache-2.0
import { describe, expect, it } from 'vitest';
import { sqlOperation } from '../src/pg.js';

describe('sqlOperation', () => {
  it.each([
    ['SELECT 1', 'SELECT'],
    ['select * from users', 'SELECT'],
    ['  \n\tINSERT INTO t VALUES ($1)', 'INSERT'],
    ['UPDATE\nusers SET a = 1', 'UPDATE'],
    ['-- list users\nSELECT * FROM users', 'SELECT'],
    ['/* controller=users */ DELETE FROM users', 'DELETE'],
    ['/* a */ -- b\n /* c */with x as (select 1) select * from x', 'WITH'],
    ['BEGIN;', 'BEGIN'],
  ])('%j is %s', (text, operation) => {
    expect(sqlOperation(text)).toBe(operation);
  });

  it.each(['', '   ', '-- only a comment', '(SELECT 1)', '/* unterminated'])('%j has none', (text) => {
    expect(sqlOperation(text)).toBeUndefined();
  });
});
