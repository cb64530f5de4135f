/**
 * Prometheus' text exposition format (0.0.4), the little the generator's /metrics needs:
 * families written once each (HELP, TYPE, then every series of the family together), label
 * values escaped, metric names kept to Prometheus' charset, and cumulative histogram series.
 */

/**
 * A label value as the text format writes it: a backslash, a double quote and a newline are
 * escaped (`\\`, `\"`, `\n`), so Prometheus stores the value as given (a request or check name
 * with quotes keeps them, and two names differing only there stay two series).
 */
export const esc = (v: string): string => v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));

/** A metric name part in Prometheus' charset: every character outside [A-Za-z0-9_] becomes '_'. */
export const metricNamePart = (v: string): string => v.replace(/[^A-Za-z0-9_]/g, '_');

/** `{k="v",...}` from label pairs ('' when none). */
export function labelText(labels: readonly (readonly [string, string])[]): string {
  return labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
}

/** A histogram's series: per-bucket counts (not cumulative; the last is +Inf) and the sum. */
export interface HistogramSeries {
  labels: [string, string][];
  buckets: ArrayLike<number>;
  sum: number;
}

interface Family {
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  help: string;
  /** Sample lines by series key (name + labels): values of one series given twice are added. */
  samples: Map<string, number>;
}

/** Families collected in order; a family named twice keeps its first HELP and TYPE and adds series. */
export class Exposition {
  private readonly families = new Map<string, Family>();

  private family(name: string, type: Family['type'], help: string): Family {
    let f = this.families.get(name);
    if (f === undefined) {
      f = { type, help, samples: new Map() };
      this.families.set(name, f);
    }
    return f;
  }

  /** The families so far, by name. */
  names(): IterableIterator<string> {
    return this.families.keys();
  }

  /** Declares a family (HELP and TYPE are written even with no series yet). */
  declare(name: string, type: Family['type'], help: string): void {
    this.family(name, type, help);
  }

  /** One sample of family `name` (the sample's own name may carry a suffix, e.g. _count). */
  sample(
    name: string,
    type: Family['type'],
    help: string,
    labels: readonly (readonly [string, string])[],
    value: number,
    suffix = '',
  ): void {
    const samples = this.family(name, type, help).samples;
    const key = `${name}${suffix}${labelText(labels)}`;
    samples.set(key, (samples.get(key) ?? 0) + value);
  }

  /** A cumulative histogram: `_bucket{le}` for each bound and +Inf, `_sum`, `_count`. */
  histogram(name: string, help: string, bounds: readonly number[], s: HistogramSeries): void {
    let cum = 0;
    for (let i = 0; i <= bounds.length; i++) {
      cum += s.buckets[i] ?? 0;
      const le = i < bounds.length ? String(bounds[i]) : '+Inf';
      this.sample(name, 'histogram', help, [...s.labels, ['le', le]], cum, '_bucket');
    }
    this.sample(name, 'histogram', help, s.labels, s.sum, '_sum');
    this.sample(name, 'histogram', help, s.labels, cum, '_count');
  }

  text(): string {
    const lines: string[] = [];
    for (const [name, f] of this.families) {
      lines.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`);
      for (const [key, v] of f.samples) lines.push(`${key} ${v}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
