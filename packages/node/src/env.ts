// SPDX-License-Identifier: Apache-2.0
// Typed readers for environment variables. Every reader returns a usable value; a malformed input
// becomes one warning that names the variable, the value and the fallback, never an exception.

export type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  readonly warnings: string[] = [];

  constructor(private readonly env: Env) {}

  /** The trimmed value, or undefined when unset or blank (the spec treats empty as unset). */
  raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  warn(name: string, shown: string, problem: string, fallback: string): void {
    // General variables (OTEL_EXPORTER_OTLP_*) are read once per signal; say each problem once.
    const line = `${name}=${JSON.stringify(shown)} ${problem}; using ${fallback}.`;
    if (!this.warnings.includes(line)) this.warnings.push(line);
  }

  string(name: string, fallback: string): string;
  string(name: string, fallback?: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    this.warn(name, value, "is not 'true' or 'false'", String(fallback));
    return fallback;
  }

  /** A whole number in [min, max]. */
  integer(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^[+-]?\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
      this.warn(name, value, `is not a whole number ${range}`, String(fallback));
      return fallback;
    }
    return parsed;
  }

  /** A decimal number in [min, max]. */
  number(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      this.warn(name, value, `is not a number between ${min} and ${max}`, String(fallback));
      return fallback;
    }
    return parsed;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase() as T;
    if (allowed.includes(lower)) return lower;
    this.warn(name, value, `is not one of ${allowed.join(', ')}`, fallback);
    return fallback;
  }

  /** A comma-separated list, trimmed, empty items dropped. */
  list(name: string): string[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    return value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }

  /**
   * `key=value` pairs separated by commas with percent-encoded values (W3C Baggage octets), as used by
   * OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS. Bad entries are skipped with a warning;
   * `secret` keeps values out of the warning because headers carry credentials.
   */
  keyValues(name: string, secret: boolean): Record<string, string> {
    const value = this.raw(name);
    const result: Record<string, string> = {};
    if (value === undefined) return result;
    for (const entry of value.split(',')) {
      if (!entry.trim()) continue;
      const eq = entry.indexOf('=');
      const key = eq > 0 ? entry.slice(0, eq).trim() : '';
      const shown = secret ? (key ? `${key}=<redacted>` : '<redacted>') : entry.trim();
      if (!key) {
        this.warn(name, shown, "has an entry that is not 'key=value'", 'the other entries');
        continue;
      }
      try {
        result[key] = decodeURIComponent(entry.slice(eq + 1).trim());
      } catch {
        this.warn(name, shown, 'has an entry whose value is not valid percent-encoding', 'the other entries');
      }
    }
    return result;
  }

  /** An absolute http(s) URL. */
  url(name: string, fallback: string): string;
  url(name: string, fallback?: string): string | undefined;
  url(name: string, fallback?: string): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    let parsed: URL | undefined;
    try {
      parsed = new URL(value);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      this.warn(name, redactUrl(value), 'is not an absolute http(s) URL', fallback ?? 'the default');
      return fallback;
    }
    return value;
  }
}

/** Hides credentials and query strings of a URL so it can be printed. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.username || url.password) {
      url.username = 'REDACTED';
      url.password = '';
    }
    url.search = url.search ? '?REDACTED' : '';
    return url.toString();
  } catch {
    return value.length > 40 ? `${value.slice(0, 40)}…` : value;
  }
}
