export * from './atomic-file.js';
export * from './byte-source.js';
export * from './pcap-reader.js';
export * from './pcap-writer.js';
export * from './pcapng-reader.js';
export * from './pcapng-writer.js';
export * from './read-capture.js';
export * from './types.js';
