import { generateKeyPairSync } from 'node:crypto';

/** Real keys made with ssh-keygen (OpenSSH 9), and the fingerprints `ssh-keygen -lf` printed for them. */
export const KEYS = {
  ed25519: {
    line: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJgzOJQE+LDKO08aEFSQdHS7RANz9WqSN4l2QtPoqw6z olive@laptop',
    fingerprint: 'SHA256:dqXQ8ee9Y9O9xearw1epMJqfnOEVsFxpVM6zLFX2R8Y',
  },
  rsa2048: {
    line: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDViXUlcL9dCIRVvW6Uqq2Z2Ke71BzHTWq82Y2LMpzbcibxxFapqvHcWqfjTeckMlGs4tFcTxbeTJQJwaBPl4pxVwd3H+D+m/P/2j2f5jBr3qXX2GKl1OT8vfHMcQ450B2ScFGMnPnDAiwYJnIFoL68Pv3fBeCdytSeSKx/PbGk2OCHD1qkiGxtLWWBS/YNggmoJCqZyW6fu8u3Sqdbu3rt7tQuK6Ga6atvvlTSEA7BZ9EJKUSuC6LWmwHElVs7mmSeelmppwG6FFVNYraaMMdzRL0QD80BnNkqjFJ7dbV1xT/rHIz0RCVdH+Wgmbqj+xrSjPjgb9mCJ6xex1iHq1dD rsa2048',
    fingerprint: 'SHA256:zzQn+ylw6fW8ySq7LTXE6CMpDALuuYJYnrat/1b3EYU',
  },
  rsa1024: {
    line: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC731OywZb9mxicxlgButBfr31QVi2qjMOAsrHWLfIE1LrkipyX6dwhN+eWmiWKA+guolctsXJY4mwNILDXGww22+mup1mwL59XIaKdQk9xsMM+nTOL/DmK/CRm2JkFTsCATg/C0FMxrrYK+q2Qz2nlyL/D7qePKEx1IyisolKk8w== weak',
    fingerprint: 'SHA256:OFi5+mNrKxNP87jYxwNRdcwXQ7zfiKbyiTFFapuC4LU',
  },
  ecdsa256: {
    line: 'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBJA46D5F+BRjc+LeHaVPpht5lk2+pZC9dt8kUrYMWSs958bOUxS3qFFp71M8d7WPLStuKXGGLgs5k/l1YxZ1QP4=',
    fingerprint: 'SHA256:iSjXwa4IQHhcMx8Tfg2uh9U6ph4kLaJhrnNxTa76xyQ',
  },
  ecdsa384: {
    line: 'ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBF2NjDYihmxxxgm/J9qynSuPEhuc1brMAlI97eGf4nVOHXrF1jqOti4244DeM9zPXxpk8H3jS0kjjipulSEhjAu3RttPLOyvW7y5VOaOESA5GrfR7ih1TtJbLNG6I6a2Gw== ec384',
    fingerprint: 'SHA256:/mKwZEMG/tdaC17POmRwOfe3R99SmWM4AHL3movJXyk',
  },
  ecdsa521: {
    line: 'ecdsa-sha2-nistp521 AAAAE2VjZHNhLXNoYTItbmlzdHA1MjEAAAAIbmlzdHA1MjEAAACFBAFzPq/v3fVkabbRT/QwZaM4kXepcJcIyITXhpurvNFT6D6poYDV1zWGq/21DAkA2VgXvKYfMaGB29ZPd+c5IGGtfgFyuFS1T1NHSo+6KmH2cCIDODUogY2eYpjqJqlP5ar81kTtFD/mAPgGbryZNr4UqXtgMbu4JnIRpDhYly0xQkZZag== ec521',
    fingerprint: 'SHA256:hgeBkdEKDT5nrnx/NwcW4t/Y7VqK1/aVLp+bxXqCZ8A',
  },
  skEd25519: {
    line: 'sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIAMKERgfJi00O0JJUFdeZWxzeoGIj5adpKuyucDHztXcAAAABHNzaDo= yubikey',
    fingerprint: 'SHA256:83ny0sBD6XvpUfb31f8h4vb4GZRmF5WvKEmNe8GtLQU',
  },
} as const;

/** A new Ed25519 public key line (a fresh key pair each call), as `ssh-keygen -t ed25519` would print it. */
export function freshKeyLine(comment = 'fresh@test'): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(Buffer.from(jwk.x!, 'base64url'))]);
  return `ssh-ed25519 ${blob.toString('base64')} ${comment}`;
}
