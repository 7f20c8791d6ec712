// Times as Kubernetes writes them in status and conditions: RFC 3339 in UTC, without fractions.
export function kubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
