/**
 * vmspace/node: the Node platform adapter. Mount a host directory into a simulated system so its
 * processes map, read and write real files (see README.md here).
 *
 *   import { createSystem } from 'vmspace';
 *   import { mountHostDirectory } from 'vmspace/node';
 *   const system = createSystem();
 *   const host = mountHostDirectory(system, '/host', '/tmp/data');
 */
export { mountHostDirectory } from './host-dir.js';
export type { HostMount, HostMountOptions } from './host-dir.js';
export type { HostIoError } from './host-file.js';
export { hostErrno } from './host-errno.js';
export { devMajor, devMinor } from './host-identity.js';
export { HostFileStore, type HostFileStoreOptions } from './disk-store.js';
