// A second test file, the same as todo.example.mjs: it gets a copy of its own, so it sees only its own todo.
import { afterAll, beforeAll, expect, inject, test } from 'vitest';
import { createTestDatabase } from '../../../dist/src/package-api.js';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';
let db, prisma;
beforeAll(async () => {
  db = await createTestDatabase({ template: inject('ppgTemplate'), url: inject('ppgUrl') });
  prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: db.url }) });
});
afterAll(async () => { await prisma.$disconnect(); await db.drop(); });
test('creates a todo', async () => {
  await prisma.todo.create({ data: { title: 'x' } });
  expect(await prisma.todo.findMany({ select: { title: true } })).toEqual([{ title: 'x' }]);
});
