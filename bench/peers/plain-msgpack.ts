import { Packr, Unpackr } from 'msgpackr';

/**
 * Plain msgpack, as on Switchboard's wire: no records extension, so the bare-uWS peer puts
 * the same bytes on the wire as the hub. pack() returns a view of the encoder's reused
 * buffer: send (uWS and ws copy synchronously) before packing again.
 */
export const packr = new Packr({ useRecords: false, structuredClone: false, moreTypes: false });
export const unpackr = new Unpackr({
  useRecords: false,
  structuredClone: false,
  mapsAsObjects: true,
});
