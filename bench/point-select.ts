/** The pgbench `-S` statement, with a deterministic sequence of account ids shared by every process. */
export function accountIds(count: number, rows = 100_000, seed = 12345): number[] {
  const ids: number[] = [];
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    ids.push((state % rows) + 1);
  }
  return ids;
}

export const POINT_SELECT = (aid: number): string => `SELECT abalance FROM pgbench_accounts WHERE aid = ${aid};`;
