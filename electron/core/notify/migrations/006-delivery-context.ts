import type { Migration } from '../../store/index.js';

/**
 * What a receiver routes on, kept with each delivery so a retry after a restart sends the same payload:
 * the rule (id and name), the series labels, the value and threshold, the alert's state and its link in
 * the dashboard, as JSON.
 */
export const deliveryContextMigration: Migration = {
  version: 6,
  name: 'delivery-context',
  up(db) {
    db.exec('ALTER TABLE notify_deliveries ADD COLUMN context TEXT');
  },
};
