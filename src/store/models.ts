// objection models for the tables. They stay inside store/: what leaves it is plain data.

import { Model } from 'objection';

export class EventRow extends Model {
  static override tableName = 'key_events';
  static override idColumn = 'seq';
  seq!: number; at!: number; type!: string; key_id!: string | null; actor!: string; origin!: string; data!: string;
}

export class SnapshotRow extends Model {
  static override tableName = 'snapshots';
  id!: number; version!: number; seq!: number; above!: string; at!: number; events!: number; state!: string;
}

export class SecretRow extends Model {
  static override tableName = 'key_secrets';
  static override idColumn = 'key_id';
  key_id!: string; secret!: string; encrypted!: boolean | number; created_at!: number;
}

export class MetaRow extends Model {
  static override tableName = 'meta';
  static override idColumn = 'name';
  name!: string; value!: string;
}

export class SessionRow extends Model {
  static override tableName = 'admin_sessions';
  static override idColumn = 'sid';
  sid!: string; created_at!: number; expires_at!: number;
}

export class LeaseRow extends Model {
  static override tableName = 'leases';
  static override idColumn = 'name';
  name!: string; owner!: string; expires_at!: number;
}
