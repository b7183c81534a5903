/**
 * Internals for tests, benchmarks and the inspector. Not a stable API.
 */
export { AddressSpace } from './mm/address-space.js';
export { MmSystem, defaultSysctl, defaultCreds } from './mm/config.js';
export { checkInvariants } from './mm/invariants.js';
export { snapshot } from './mm/snapshot.js';
export type { MmSnapshot, VmaInfo } from './mm/snapshot.js';
export { Vma, vmFlagsString } from './mm/vma.js';
export { renderMaps, mapsLine } from './proc/maps.js';
export { renderSmaps, renderSmapsRollup } from './proc/smaps.js';
export { renderStatus } from './proc/status.js';
export { pageStates, type PageKind, type PageState } from './mm/page-states.js';
