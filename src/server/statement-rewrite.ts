import { mentionsBackendFunctions, rewriteBackendFunctions, type BackendContext } from './backend-functions.js';
import type { DatabaseCommand } from './client-session.js';
import { mentionsActivity, rewriteActivityView, type ClientActivity } from './session-activity.js';
import { DISCARD_OWN_TEMP_SQL, mentionsTemp } from './temp-objects.js';
import { engineSettingName, PROXY_SETTINGS, showProxySettingSql } from './proxy-settings.js';
import { classifyStatement, mayNeedRewrite, quoteIdent, splitStatements, type SqlStatement } from './sql-statements.js';
import type { ErrorFields } from './wire-messages.js';

/**
 * Rewrites a client's SQL so that what Postgres keeps per session stays per client on the shared engine:
 * SQL-level prepared statement names get the client's prefix, DEALLOCATE ALL only touches the client's own
 * statements, and statements with side effects the server must track are reported as effects.
 */
export interface StatementEffects {
  settings: boolean;
  prepared: string[];
  deallocated: string[];
  listen: string[];
  /** Channel names, or '*' for all. */
  unlisten: string[];
  copyFromStdin: boolean;
  /** The COPY FROM STDIN reads CSV (see copy-in.ts for why that matters). */
  copyCsv?: true;
  database?: DatabaseCommand;
  /**
   * The text mentions extensions (CREATE/ALTER/DROP EXTENSION, pg_available_extensions, pg_extension …)
   * or LOADs a library: the engine needs the extension files before it runs (engine-extensions.ts).
   */
  extensionFiles?: true;
  /** The text mentions temporary objects: the client's are switched in and out from now on (temp-objects.ts). */
  temp?: true;
}

export interface RewriteContext extends BackendContext {
  /** The clients' rows of pg_stat_activity (session-activity.ts), the caller's as running. */
  activity(): readonly ClientActivity[];
  /** Told each statement text the client sends, before it is rewritten (pg_stat_activity's query). */
  noteQuery?(sql: string): void;
  namePrefix: string;
  statementNames: ReadonlySet<string>;
  /** True if other clients share the engine (DISCARD ALL would reach into their sessions). */
  hasNeighbours(): boolean;
}

export interface Rewrite {
  sql: string;
  effects: StatementEffects;
  error?: ErrorFields;
}

const NO_EFFECTS: StatementEffects = Object.freeze({
  settings: false, prepared: [], deallocated: [], listen: [], unlisten: [], copyFromStdin: false,
}) as StatementEffects;
const TEMP_ONLY: StatementEffects = Object.freeze({ ...NO_EFFECTS, temp: true }) as StatementEffects;

export function rewriteQueryText(clientSql: string, context: RewriteContext): Rewrite {
  context.noteQuery?.(clientSql);
  let sql = mentionsBackendFunctions(clientSql) ? rewriteBackendFunctions(clientSql, context) : clientSql;
  if (mentionsActivity(sql)) sql = rewriteActivityView(sql, context.activity());
  const temp = mentionsTemp(clientSql);
  if (!mayNeedRewrite(sql)) return { sql, effects: temp ? TEMP_ONLY : NO_EFFECTS };
  const statements = splitStatements(sql);
  const effects: StatementEffects = { settings: false, prepared: [], deallocated: [], listen: [], unlisten: [], copyFromStdin: false };
  if (temp) effects.temp = true;
  const edits: { start: number; end: number; text: string }[] = [];
  if (/extension/i.test(sql)) effects.extensionFiles = true;
  for (const statement of statements) {
    edits.push(...proxySettingEdits(sql, statement));
    const kind = classifyStatement(sql, statement);
    switch (kind.kind) {
      case 'set':
        effects.settings = true;
        break;
      case 'listen':
        effects.listen.push(kind.channel);
        break;
      case 'unlisten':
        effects.unlisten.push(kind.channel);
        break;
      case 'prepare':
      case 'execute': {
        const engineName = context.namePrefix + kind.name.value;
        edits.push({ start: kind.name.start, end: kind.name.end, text: quoteIdent(engineName) });
        if (kind.kind === 'prepare') effects.prepared.push(engineName);
        break;
      }
      case 'deallocate': {
        if (kind.name === 'all') {
          const own = [...context.statementNames];
          effects.deallocated.push(...own);
          edits.push({
            start: statement.start, end: statement.end,
            text: own.length > 0 ? own.map((n) => `DEALLOCATE ${quoteIdent(n)}`).join('; ') : 'SELECT WHERE false',
          });
        } else {
          const engineName = context.namePrefix + kind.name.value;
          effects.deallocated.push(engineName);
          edits.push({ start: kind.name.start, end: kind.name.end, text: quoteIdent(engineName) });
        }
        break;
      }
      case 'discard-all':
        if (context.hasNeighbours()) {
          return { sql, effects, error: {
            severity: 'ERROR', code: '0A000', message: 'DISCARD ALL is not supported while other clients share this ppg-dev database',
            hint: 'use DEALLOCATE ALL, RESET ALL and UNLISTEN * instead',
          } };
        }
        effects.settings = true;
        effects.deallocated.push(...context.statementNames);
        effects.unlisten.push('*');
        break;
      case 'discard-temp':
        // The engine's one pg_temp holds every client's objects; the client's DISCARD TEMP drops its own.
        edits.push({ start: statement.start, end: statement.end, text: DISCARD_OWN_TEMP_SQL });
        break;
      case 'copy-from-stdin':
        if (statements.length > 1) {
          return { sql, effects, error: {
            severity: 'ERROR', code: '0A000', message: 'COPY FROM STDIN must be sent as a query of its own to ppg-dev',
          } };
        }
        effects.copyFromStdin = true;
        if (COPY_CSV.test(sql.slice(statement.start, statement.end))) effects.copyCsv = true;
        break;
      case 'create-database':
      case 'drop-database':
        if (statements.length > 1) {
          return { sql, effects, error: {
            severity: 'ERROR', code: '25001', message: `${kind.kind === 'create-database' ? 'CREATE' : 'DROP'} DATABASE cannot run inside a transaction block`,
          } };
        }
        effects.database = kind;
        break;
      case 'load':
        effects.extensionFiles = true;
        break;
      case 'other':
        break;
    }
  }
  let rewritten = sql;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    rewritten = rewritten.slice(0, edit.start) + edit.text + rewritten.slice(edit.end);
  }
  return { sql: rewritten, effects };
}

/** `FORMAT csv` (or `'csv'`), or the old `CSV` option: the word csv among the options, before any WHERE. */
const COPY_CSV = /\bfrom\s+stdin\b(?:(?!\bwhere\b)[\s\S])*\bcsv\b/i;

const SETTING_STATEMENTS = new Set(['set', 'reset', 'show']);
const SETTING_FUNCTIONS = new Set(['set_config', 'current_setting']);

/** Points SET/RESET/SHOW/set_config/current_setting of a server-enforced setting at its placeholder. */
function proxySettingEdits(sql: string, statement: SqlStatement): { start: number; end: number; text: string }[] {
  const [first, ...rest] = statement.words;
  if (!first || first.quoted) return [];
  const bySyntax = SETTING_STATEMENTS.has(first.value);
  const shown = rest[0];
  if (first.value === 'show' && rest.length === 1 && shown && PROXY_SETTINGS.has(shown.value.toLowerCase())) {
    // SHOW of the placeholder would name its column ppg.<name>; clients read the column by the real name.
    const name = shown.value.toLowerCase();
    return [{ start: statement.start, end: statement.end, text: showProxySettingSql(name) }];
  }
  if (!bySyntax && !rest.some((w) => !w.quoted && SETTING_FUNCTIONS.has(w.value))) return [];
  const edits: { start: number; end: number; text: string }[] = [];
  for (const w of rest) {
    // In SET syntax the name is a bare or double-quoted identifier (a string literal there is a value).
    if (bySyntax && w.quoted && sql[w.start] !== '"') continue;
    if (!PROXY_SETTINGS.has(w.quoted ? w.value.toLowerCase() : w.value)) continue;
    const engineName = engineSettingName(w.value.toLowerCase());
    edits.push({ start: w.start, end: w.end, text: bySyntax ? engineName : `'${engineName}'` });
  }
  return edits;
}
