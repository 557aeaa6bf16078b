export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}

export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`badge severity-${severity}`}>{severity}</span>;
}

export function AlarmStatusBadge({ status }: { status: string }) {
  // ACTIVE_UNACK → "active · unacknowledged"; the class keeps the raw status for styling.
  const [condition, ack] = status.toLowerCase().split('_');
  const text = ack ? `${condition} · ${ack === 'ack' ? 'acknowledged' : 'unacknowledged'}` : status;
  return <span className={`badge alarm-${status}`}>{text}</span>;
}
