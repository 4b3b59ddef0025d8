import { createRegistry, type DescFile, type DescService, type Registry } from "@bufbuild/protobuf";
import {
  file_google_protobuf_any,
  file_google_protobuf_duration,
  file_google_protobuf_empty,
  file_google_protobuf_field_mask,
  file_google_protobuf_struct,
  file_google_protobuf_timestamp,
  file_google_protobuf_wrappers,
} from "@bufbuild/protobuf/wkt";

/**
 * The types a service's errors may carry as details without further ado:
 * those of the service's file and of every file it imports, the common
 * well-known types (Any, Duration, Empty, FieldMask, Struct, Timestamp,
 * wrappers), plus extra.
 */
export function serviceRegistry(service: DescService, extra?: Registry): Registry {
  const files: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (f: DescFile) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    files.push(f);
    f.dependencies.forEach(visit);
  };
  [
    file_google_protobuf_any,
    file_google_protobuf_duration,
    file_google_protobuf_empty,
    file_google_protobuf_field_mask,
    file_google_protobuf_struct,
    file_google_protobuf_timestamp,
    file_google_protobuf_wrappers,
  ].forEach(visit);
  visit(service.file);
  return extra ? createRegistry(...files, extra) : createRegistry(...files);
}
