// A device chosen by name: a search box narrowing a list fetched from the devices API (at most 200
// shown, so it stays usable with a fleet of thousands).
import { useEffect, useState } from 'react';
import { getDevices, getDevicesById, type GetDevicesResult } from '../api/generated';
import { useApi } from '../api/context';

type Device = GetDevicesResult['items'][number];

export function DevicePicker({
  value,
  onChange,
  type,
  label = 'Device',
  allowNone = false,
  ...rest
}: {
  value: string;
  onChange: (id: string, device: Device | null) => void;
  /** Only devices of this type. */
  type?: string;
  label?: string;
  allowNone?: boolean;
  /** Given by a Field: the select is the labelled control. */
  id?: string;
  'aria-invalid'?: boolean;
  'aria-describedby'?: string;
}) {
  const call = useApi();
  const [filter, setFilter] = useState('');
  const [devices, setDevices] = useState<Device[]>([]);
  useEffect(() => {
    let stale = false;
    const timer = setTimeout(() => {
      getDevices(call, { query: { name: filter || undefined, type: type || undefined, sort: 'name', order: 'asc', limit: 200 } }).then(
        (res) => !stale && setDevices(res.items),
        () => !stale && setDevices([]),
      );
    }, 200);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [call, filter, type]);
  // The chosen device stays an option, by name, even when the filter (or the 200 limit) hides it.
  const [chosen, setChosen] = useState<Device | null>(null);
  useEffect(() => {
    if (!value || devices.some((d) => d.id === value) || chosen?.id === value) return;
    let stale = false;
    getDevicesById(call, { path: { id: value } }).then(
      (d) => !stale && setChosen(d),
      () => undefined,
    );
    return () => {
      stale = true;
    };
  }, [call, value, devices, chosen]);
  const known = chosen?.id === value ? chosen : ({ id: value, name: value } as Device);
  const options = value && !devices.some((d) => d.id === value) ? [known, ...devices] : devices;
  return (
    <span className="device-picker">
      <input type="search" aria-label={`${label}: filter by name`} placeholder="filter by name…" value={filter} onChange={(e) => setFilter(e.target.value)} />
      <select aria-label={rest.id ? undefined : label} value={value} onChange={(e) => onChange(e.target.value, options.find((d) => d.id === e.target.value) ?? null)} {...rest}>
        {(allowNone || !value) && <option value="">{allowNone ? '(none)' : 'choose…'}</option>}
        {options.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
      </select>
    </span>
  );
}
