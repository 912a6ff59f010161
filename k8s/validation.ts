/**
 * Prop checks shared by the charts. Each error names the chart, the prop, the value and what was expected.
 * A CDK token (e.g. `${Token[TOKEN.123]}`) passes the string checks: it has no whitespace.
 */

export function requireText(chart: string, prop: string, value: string): string {
  if (typeof value !== 'string' || value.trim() === '' || /\s/.test(value)) {
    throw new Error(`${chart}: ${prop} must be a non-empty string without whitespace, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function positiveInteger(chart: string, prop: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${chart}: ${prop} must be a whole number >= 1, got ${value}`);
  }
  return value;
}
