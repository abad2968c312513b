/**
 * src/detector/catalog.ts lists pg_catalog's functions, relations and types,
 * which unqualified names resolve to first: they must be the server's.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CATALOG_FUNCTIONS, CATALOG_RELATIONS, CATALOG_TYPES } from '../../src/detector/catalog.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { readCatalogLists } from './tools/catalog-lists.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

it("holds exactly the server's pg_catalog names (regenerate with test/detector/tools/catalog-lists.ts)", async () => {
  const lists = await readCatalogLists(db.url);
  const sorted = (s: Iterable<string>) => [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  expect(sorted(CATALOG_FUNCTIONS)).toEqual(lists.functions);
  expect(sorted(CATALOG_RELATIONS)).toEqual(lists.relations);
  expect(sorted(CATALOG_TYPES)).toEqual(lists.types);
});
