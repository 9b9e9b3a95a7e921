import type { LinodeImage, LinodeRegion, LinodeStackScript, LinodeType, LinodeUdf } from '../types.ts';

/**
 * The emulator's fixed catalogue: real-looking regions, plans, images and two Marketplace
 * StackScripts. Prices are Linode's public list prices (2024); São Paulo carries Linode's
 * regional price overrides so region pricing can be exercised.
 */

const CREATED = '2024-01-15T10:00:00';

function region(id: string, label: string, country: string, ipv4: string): LinodeRegion {
  return {
    id,
    label,
    country,
    capabilities: ['Linodes', 'Backups', 'NodeBalancers', 'Block Storage', 'Cloud Firewall', 'Vlans', 'Metadata'],
    status: 'ok',
    resolvers: { ipv4, ipv6: '2001:db8:53::5,2001:db8:53::6' },
    site_type: 'core',
    placement_group_limits: { maximum_pgs_per_customer: null, maximum_linodes_per_pg: 5 },
  };
}

export const REGIONS: LinodeRegion[] = [
  region('us-east', 'Newark, NJ', 'us', '192.0.2.2,192.0.2.3'),
  region('eu-central', 'Frankfurt, DE', 'de', '192.0.2.4,192.0.2.5'),
  region('ap-south', 'Singapore, SG', 'sg', '192.0.2.6,192.0.2.7'),
  region('br-gru', 'Sao Paulo, BR', 'br', '192.0.2.8,192.0.2.9'),
];

interface Plan {
  id: string;
  label: string;
  cls: 'nanode' | 'standard' | 'dedicated';
  vcpus: number;
  memory: number;
  disk: number;
  transfer: number;
  net: number;
  price: [number, number];
  backups: [number, number];
  /** São Paulo prices: [hourly, monthly], and the backups add-on there. */
  gru: [number, number, number, number];
}

const PLANS: Plan[] = [
  {
    id: 'g6-nanode-1',
    label: 'Nanode 1 GB',
    cls: 'nanode',
    vcpus: 1,
    memory: 1024,
    disk: 25600,
    transfer: 1000,
    net: 1000,
    price: [0.0075, 5],
    backups: [0.003, 2],
    gru: [0.0105, 7, 0.0036, 2.4],
  },
  {
    id: 'g6-standard-1',
    label: 'Linode 2 GB',
    cls: 'standard',
    vcpus: 1,
    memory: 2048,
    disk: 51200,
    transfer: 2000,
    net: 2000,
    price: [0.018, 12],
    backups: [0.004, 2.5],
    gru: [0.0252, 16.8, 0.0045, 3],
  },
  {
    id: 'g6-standard-2',
    label: 'Linode 4 GB',
    cls: 'standard',
    vcpus: 2,
    memory: 4096,
    disk: 81920,
    transfer: 4000,
    net: 4000,
    price: [0.036, 24],
    backups: [0.0075, 5],
    gru: [0.0504, 33.6, 0.009, 6],
  },
  {
    id: 'g6-standard-4',
    label: 'Linode 8 GB',
    cls: 'standard',
    vcpus: 4,
    memory: 8192,
    disk: 163840,
    transfer: 5000,
    net: 5000,
    price: [0.072, 48],
    backups: [0.015, 10],
    gru: [0.1008, 67.2, 0.018, 12],
  },
  {
    id: 'g6-dedicated-2',
    label: 'Dedicated 4 GB',
    cls: 'dedicated',
    vcpus: 2,
    memory: 4096,
    disk: 81920,
    transfer: 4000,
    net: 4000,
    price: [0.054, 36],
    backups: [0.0075, 5],
    gru: [0.0756, 50.4, 0.009, 6],
  },
  {
    id: 'g6-dedicated-4',
    label: 'Dedicated 8 GB',
    cls: 'dedicated',
    vcpus: 4,
    memory: 8192,
    disk: 163840,
    transfer: 5000,
    net: 5000,
    price: [0.108, 72],
    backups: [0.015, 10],
    gru: [0.1512, 100.8, 0.018, 12],
  },
];

export const TYPES: LinodeType[] = PLANS.map((p) => ({
  id: p.id,
  label: p.label,
  class: p.cls,
  disk: p.disk,
  memory: p.memory,
  vcpus: p.vcpus,
  gpus: 0,
  network_out: p.net,
  transfer: p.transfer,
  price: { hourly: p.price[0], monthly: p.price[1] },
  region_prices: [{ id: 'br-gru', hourly: p.gru[0], monthly: p.gru[1] }],
  addons: {
    backups: {
      price: { hourly: p.backups[0], monthly: p.backups[1] },
      region_prices: [{ id: 'br-gru', hourly: p.gru[2], monthly: p.gru[3] }],
    },
  },
  successor: null,
}));

function image(id: string, label: string, vendor: string, size: number, eol: string): LinodeImage {
  return {
    id,
    label,
    description: null,
    created: CREATED,
    created_by: 'linode',
    updated: CREATED,
    type: 'manual',
    is_public: true,
    vendor,
    size,
    total_size: size,
    deprecated: false,
    expiry: null,
    eol,
    status: 'available',
    capabilities: ['cloud-init'],
    tags: [],
    regions: [],
  };
}

export const IMAGES: LinodeImage[] = [
  image('linode/ubuntu24.04', 'Ubuntu 24.04 LTS', 'Ubuntu', 3000, '2029-04-30T04:00:00'),
  image('linode/ubuntu22.04', 'Ubuntu 22.04 LTS', 'Ubuntu', 2500, '2027-04-01T04:00:00'),
  image('linode/debian12', 'Debian 12', 'Debian', 1800, '2028-06-30T04:00:00'),
  image('linode/almalinux9', 'AlmaLinux 9', 'AlmaLinux', 2200, '2032-05-31T04:00:00'),
  image('linode/rocky9', 'Rocky Linux 9', 'Rocky', 2300, '2032-05-31T04:00:00'),
];

const WORDPRESS = `#!/bin/bash
# <UDF name="soa_email_address" label="Email address (for the Let's Encrypt certificate)" example="admin@example.com" />
# <UDF name="webserver" label="Web server" oneOf="Apache,NGINX" default="NGINX" />
# <UDF name="site_title" label="Website title" default="My WordPress Site" />
# <UDF name="wp_admin_user" label="WordPress admin username" example="admin" />
set -euo pipefail
echo "Installing WordPress with $WEBSERVER for $SOA_EMAIL_ADDRESS"
`;

const DOCKER = `#!/bin/bash
# <UDF name="user_name" label="The limited sudo user to be created" example="deploy" default="" />
# <UDF name="disable_root" label="Disable root access over SSH?" oneOf="Yes,No" default="No" />
# <UDF name="extras" label="Extra tools" manyOf="compose,buildx,portainer" default="compose" />
set -euo pipefail
curl -fsSL https://get.docker.com | sh
`;

/** The fields a script asks for, read from its `<UDF ...>` tags as Linode does. */
export function parseUdfs(script: string): LinodeUdf[] {
  const fields: LinodeUdf[] = [];
  for (const tag of script.matchAll(/<UDF\s+([^>]*?)\/?>/gi)) {
    const attrs: Record<string, string> = {};
    for (const a of tag[1]!.matchAll(/(\w+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    if (!attrs.name) continue;
    fields.push({
      name: attrs.name,
      label: attrs.label ?? attrs.name,
      ...(attrs.example !== undefined ? { example: attrs.example } : {}),
      ...(attrs.default !== undefined ? { default: attrs.default } : {}),
      ...(attrs.oneOf !== undefined ? { oneOf: attrs.oneOf } : {}),
      ...(attrs.manyOf !== undefined ? { manyOf: attrs.manyOf } : {}),
    });
  }
  return fields;
}

function stackScript(
  id: number,
  label: string,
  description: string,
  images: string[],
  script: string,
  deployments: number,
): LinodeStackScript {
  return {
    id,
    username: 'linode',
    user_gravatar_id: '9d4d301385af69ceb7ad658aad09c142',
    label,
    description,
    images,
    is_public: true,
    mine: false,
    created: CREATED,
    updated: CREATED,
    rev_note: 'Initial release',
    script,
    user_defined_fields: parseUdfs(script),
    deployments_active: Math.floor(deployments / 3),
    deployments_total: deployments,
  };
}

export const STACKSCRIPTS: LinodeStackScript[] = [
  stackScript(
    401697,
    'WordPress One-Click',
    'WordPress with a web server, PHP and MariaDB, ready for its first login.',
    ['linode/ubuntu24.04', 'linode/ubuntu22.04', 'linode/debian12'],
    WORDPRESS,
    48_211,
  ),
  stackScript(
    607433,
    'Docker One-Click',
    'Docker Engine with optional Compose, Buildx and Portainer.',
    ['linode/ubuntu24.04', 'linode/ubuntu22.04', 'linode/debian12', 'linode/almalinux9', 'linode/rocky9'],
    DOCKER,
    31_904,
  ),
];

/** The account and profile the emulator's token belongs to. */
export const ACCOUNT = {
  email: 'ops@demo-hosting.example',
  first_name: 'Demo',
  last_name: 'Operator',
  company: 'Demo Hosting Ltd',
  balance: 0,
  balance_uninvoiced: 0,
  euuid: 'E1A2B3C4-D5E6-4F70-8A9B-0C1D2E3F4A5B',
  active_since: '2023-06-01T12:00:00',
  capabilities: ['Linodes', 'NodeBalancers', 'Block Storage', 'Object Storage', 'Cloud Firewall', 'Vlans'],
  country: 'US',
};

export const PROFILE = {
  username: 'demo-operator',
  email: ACCOUNT.email,
  uid: 1_048_576,
  restricted: false,
  timezone: 'UTC',
  authorized_keys: null,
  two_factor_auth: true,
};
