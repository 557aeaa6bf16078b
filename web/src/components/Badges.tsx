export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status}</span>;
}

export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`badge severity-${severity}`}>{severity}</span>;
}

export function AlarmStatusBadge({ status }: { status: string }) {
  return <span className={`badge alarm-${status}`}>{status}</span>;
}
