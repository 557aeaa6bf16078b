// Which node holds a device's live connection, shared by every node (scaled out: Redis). A node
// records the devices it holds and keeps refreshing them; an entry whose node stopped refreshing
// (killed, cut off) expires on its own, so a dead node never keeps a device "connected".
// Embedded (one node) there is no directory: the node's own PresenceTracker knows everything.

export interface HeldConnection {
  /** The node holding the connection (a per-process id). */
  node: string;
  tenantId: string;
  /** When the device connected to that node (epoch ms). */
  since: number;
}

export interface PresenceDirectory {
  /** This node's id, as other nodes see it in HeldConnection.node. */
  readonly node: string;
  /** Records that this node holds a connection of the device (from `since`). */
  hold(tenantId: string, deviceId: string, since: number): Promise<void>;
  /** The device's last connection on this node closed; an entry of another node is left alone. */
  release(deviceId: string): Promise<void>;
  /** Extends the entries of these devices (all held by this node) for another time-to-live. */
  refresh(deviceIds: string[]): Promise<void>;
  /** The live holders of these devices; devices not held anywhere are absent. */
  lookup(deviceIds: string[]): Promise<Map<string, HeldConnection>>;
  /** How often the holding node must refresh its entries before they expire. */
  readonly refreshIntervalMs: number;
  close(): Promise<void>;
}
