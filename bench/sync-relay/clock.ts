/**
 * The one clock for send and receive times: wall-clock based, so stamps would stay comparable if the
 * clients were ever split over processes, and sub-millisecond, which Date.now() is not.
 */
export const now = (): number => performance.timeOrigin + performance.now();
