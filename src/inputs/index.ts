/**
 * The input library: safe fetching, data: URIs, type sniffing and media probing for file-typed
 * model inputs. resolveFileInput is the entry point; the rest is exported for the upload route
 * (inspectFile), submit-time checks (precheckFileInput, checkUrl) and tests.
 */
export { HostAllowList, classifyAddress, describeVerdict, normaliseHost, type AddressVerdict } from './address-policy.ts';
export { DEFAULT_MAX_DATA_URI_BYTES, isDataUri, parseDataUri, writeDataUri, type DataUri } from './data-uri.ts';
export { InputError, isInputError, type InputErrorReason } from './errors.ts';
export { inspectFile, type InspectOptions, type InspectedFile } from './inspect-file.ts';
export { DEFAULT_MAX_PIXELS, probeImage, restrictSharpLoaders, type ImageProbe, type ImageProbeOptions } from './probe-image.ts';
export { VIDEO_FORMAT_WHITELIST, findFfprobe, probeVideo, type VideoProbe, type VideoProbeOptions } from './probe-video.ts';
export { systemResolver, type LookupAnswer, type Resolver } from './resolve-host.ts';
export {
  precheckFileInput,
  resolveFileInput,
  type FileInputTarget,
  type InputForm,
  type PrecheckResult,
  type ResolveOptions,
  type ResolvedInput,
  type UploadLookup,
  type UploadedFileRef,
} from './resolve-file.ts';
export { fetchToFile, type FetchOptions, type FetchedFile } from './safe-fetch.ts';
export { DEFAULT_INPUT_LIMITS, inputSettingsFromEnv, type InputLimits, type InputSettings } from './settings.ts';
export { sniffBytes, sniffFile, type SniffedFormat, type SniffedType } from './sniff.ts';
export { DEFAULT_MAX_URL_LENGTH, checkUrl, type CheckedUrl, type UrlPolicy } from './url-policy.ts';
