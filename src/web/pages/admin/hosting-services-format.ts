/** Badge classes and words for a service's status and its saga's state (staff pages). */
export const hostingFormat = {
  status: {
    provisioning: 'Provisioning',
    active: 'Active',
    suspended: 'Suspended',
    cancelled: 'Cancelled',
    failed: 'Failed',
  } as Record<string, string>,
  badge: (status: string) =>
    ({ active: 'badge-success', provisioning: 'badge-info', suspended: 'badge-warning', failed: 'badge-danger' })[
      status
    ] ?? '',
  saga: {
    running: 'Running',
    done: 'Done',
    compensating: 'Compensating',
    compensated: 'Compensated',
  } as Record<string, string>,
  sagaBadge: (state: string) =>
    ({ done: 'badge-success', running: 'badge-info', compensating: 'badge-warning', compensated: '' })[state] ?? '',
};
