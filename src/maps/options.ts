/** What every map constructor takes besides its spec and the VM memory. */
export interface MapOptions {
  /** Possible CPUs (the kernel's num_possible_cpus()): per-CPU maps keep this many values a key. */
  cpus: number;
  /** The index in ObjectSpec.programs of the program named `name` (prog array initial slots). */
  programIndex?: (name: string) => number | undefined;
  /** Number of programs in the object: a prog array slot written with an index past it is -EBADF. Default: unchecked. */
  programCount?: number;
  /** The index in ObjectSpec.maps of the map named `name` (initial slots of array/hash of maps). */
  mapIndex?: (name: string) => number | undefined;
  /** Number of maps in the object: a map-of-maps value naming an index past it is -EBADF. Default: unchecked. */
  mapCount?: number;
  /** Whether interface `ifindex` exists (devmaps refuse others with -EINVAL, as dev_get_by_index does). Default: every ifindex exists. */
  ifindexExists?: (ifindex: number) => boolean;
}
