// The rehearsal's release artifacts: tiny but genuine zip files (stored, uncompressed) that the real publish code
// uploads, and that a local instance "installs" at boot to learn what it runs — including a build that is broken.

/** What a rehearsal build contains; an instance serves `version`, and a broken build never becomes healthy. */
export interface RehearsalBuild {
  tier: string;
  version: string;
  broken: boolean;
}

const BUILD_ENTRY = "rehearsal-build.json";

/** A zip archive holding one `rehearsal-build.json` entry describing the build. */
export function buildArtifact(build: RehearsalBuild): Buffer {
  return storedZip({ [BUILD_ENTRY]: Buffer.from(JSON.stringify(build)) });
}

/** Reads a build back from an artifact; undefined when the archive has no readable build entry (it will not boot). */
export function readArtifact(zip: Buffer): RehearsalBuild | undefined {
  const entry = readStoredZip(zip)[BUILD_ENTRY];
  if (entry === undefined) return undefined;
  try {
    const doc = JSON.parse(entry.toString("utf8")) as Partial<RehearsalBuild>;
    if (typeof doc.version !== "string" || typeof doc.tier !== "string") return undefined;
    return { tier: doc.tier, version: doc.version, broken: doc.broken === true };
  } catch {
    return undefined;
  }
}

/** A minimal zip (PKWARE APPNOTE 4.3): local headers, stored entries, central directory, end record. */
export function storedZip(files: Record<string, Buffer>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const nameBytes = Buffer.from(name, "utf8");
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed to extract
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt32LE(0x00210000, 10); // 1980-01-01 00:00, fixed so the same build gives the same bytes
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt32LE(0x00210000, 12);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, data);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** Reads the stored entries of a zip by walking its local headers; anything unexpected ends the walk. */
export function readStoredZip(zip: Buffer): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  let at = 0;
  while (at + 30 <= zip.length && zip.readUInt32LE(at) === 0x04034b50) {
    const method = zip.readUInt16LE(at + 8);
    const size = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const extraLength = zip.readUInt16LE(at + 28);
    const dataStart = at + 30 + nameLength + extraLength;
    if (method !== 0 || dataStart + size > zip.length) break;
    files[zip.toString("utf8", at + 30, at + 30 + nameLength)] = zip.subarray(dataStart, dataStart + size);
    at = dataStart + size;
  }
  return files;
}

let crcTable: Uint32Array | undefined;

function crc32(data: Buffer): number {
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
