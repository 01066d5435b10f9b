// Generated from catalog/*.json by scripts/generate-client-types.mjs: do not edit.
// The input of each catalog model, as its schema describes it; the server validates again.

/** Dreamina 4.0 | Text to Image (`bytedance/dreamina-4-0/text-to-image`). */
export interface BytedanceDreamina40TextToImageInput {
  /** Prompt; at most 800 characters; default "A beautiful girl is walking on the street" */
  prompt: string;
  /** Aspect Ratio (W:H); default "2048x2048(1:1)" */
  "width×height"?:
    | "1024x1024(1:1)"
    | "2048x2048(1:1)"
    | "2304x1728(4:3)"
    | "2496x1664(3:2)"
    | "2560x1440(16:9)"
    | "3024x1296(21:9)"
    | "4096x4096(1:1)"
    | "4694x3520(4:3)"
    | "4992x3328(3:2)"
    | "5404x3040(16:9)"
    | "6198x2656(21:9)";
  /** Scale; 0 to 1; default 0.5 */
  scale?: number;
  /** Force Single Image; default false */
  force_single?: boolean;
}

/** Seedream 5.0 Lite | Text to Image (`bytedance/seedream-5/lite/text-to-image`). */
export interface BytedanceSeedream5LiteTextToImageInput {
  /** 提示词 */
  prompt: string;
  /** 分辨率; default "2304x1728 (4:3)" */
  resolution?:
    | "2K"
    | "3K"
    | "2048x2048 (1:1)"
    | "2304x1728 (4:3)"
    | "1728x2304 (3:4)"
    | "2848x1600 (16:9)"
    | "1600x2848 (9:16)"
    | "2496x1664 (3:2)"
    | "1664x2496 (2:3)"
    | "3136x1344 (21:9)"
    | "3072x3072 (1:1)"
    | "3456x2592 (4:3)"
    | "2592x3456 (3:4)"
    | "4096x2304 (16:9)"
    | "2304x4096 (9:16)"
    | "3744x2496 (3:2)"
    | "2496x3744 (2:3)"
    | "4704x2016 (21:9)";
  /** 顺序图像生成; default "disabled" */
  sequential_image_generation?: "auto" | "disabled";
  /** 最大图像数; default 15 */
  max_images?: 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15;
  /** 输出格式; default "png" */
  output_format?: "png" | "jpeg";
  /** 提示词优化; default "standard" */
  optimize_prompt_options?: "standard";
}

/** Ideogram 3.0 | Reframe (`ideogram/ideogram-v3/reframe`). */
export interface IdeogramIdeogramV3ReframeInput {
  /** image file: an https URL, a data: URI, or the url of client.upload() */
  image: string;
  /** Aspect Ratio (W:H); default "1152:864 (4:3)" */
  resolution:
    | "1536:640 (12:5)"
    | "1536:576 (8:3)"
    | "1536:512 (3:1)"
    | "1472:704 (23:11)"
    | "1472:640 (23:10)"
    | "1472:576 (23:9)"
    | "1408:704 (2:1)"
    | "1408:640 (11:5)"
    | "1408:576 (22:9)"
    | "1344:768 (7:4)"
    | "1344:704 (21:11)"
    | "1344:640 (21:10)"
    | "1312:736 (41:23)"
    | "1280:800 (8:5)"
    | "1280:768 (5:3)"
    | "1280:704 (20:11)"
    | "1248:832 (3:2)"
    | "1216:832 (19:13)"
    | "1216:768 (19:12)"
    | "1216:704 (19:11)"
    | "1152:896 (9:7)"
    | "1152:864 (4:3)"
    | "1152:832 (18:13)"
    | "1152:704 (18:11)"
    | "1120:896 (5:4)"
    | "1088:960 (17:15)"
    | "1088:896 (17:14)"
    | "1088:832 (17:13)"
    | "1088:768 (17:12)"
    | "1024:1024 (1:1)"
    | "1024:960 (16:15)"
    | "1024:896 (8:7)"
    | "1024:832 (16:13)"
    | "960:1088 (15:17)"
    | "960:1024 (15:16)"
    | "960:896 (15:14)"
    | "960:832 (15:13)"
    | "896:1152 (7:9)"
    | "896:1120 (4:5)"
    | "896:1088 (14:17)"
    | "896:1024 (7:8)"
    | "896:960 (14:15)"
    | "864:1152 (3:4)"
    | "832:1248 (2:3)"
    | "832:1216 (13:19)"
    | "832:1152 (13:18)"
    | "832:1088 (13:17)"
    | "832:1024 (13:16)"
    | "832:960 (13:15)"
    | "800:1280 (5:8)"
    | "768:1344 (4:7)"
    | "768:1280 (3:5)"
    | "768:1216 (12:19)"
    | "768:1088 (12:17)"
    | "736:1312 (23:41)"
    | "704:1472 (11:23)"
    | "704:1408 (1:2)"
    | "704:1344 (11:21)"
    | "704:1280 (11:20)"
    | "704:1216 (11:19)"
    | "704:1152 (11:18)"
    | "640:1536 (5:12)"
    | "640:1472 (10:23)"
    | "640:1408 (5:11)"
    | "640:1344 (10:21)"
    | "576:1536 (3:8)"
    | "576:1472 (9:23)"
    | "576:1408 (9:22)"
    | "512:1536 (1:3)";
  /** Seed; 0 to 2147483647 */
  seed?: number;
  /** Rendering Speed; default "BALANCED" */
  rendering_speed?: "TURBO" | "BALANCED" | "QUALITY";
  /** Color Palette */
  color_palette?: Record<string, unknown>;
  /** Style */
  style?: Record<string, unknown>;
}

/** Runway Gen-3 Alpha Turbo | Image to Video (`runwayml/runway-gen-3-alpha/turbo/image-to-video`). */
export interface RunwaymlRunwayGen3AlphaTurboImageToVideoInput {
  /** Prompt; at most 512 characters */
  promptText: string;
  /** Image; image file: an https URL, a data: URI, or the url of client.upload() */
  promptImage: string;
  /** Aspect Ratio (W:H); default "1280:768" */
  ratio?: "1280:768" | "768:1280";
  /** Duration; default 5 */
  duration?: 5 | 10;
  /** Seed; 0 to 4294967295 */
  seed?: number;
}

/** Model id → its input type: what `submit` and `run` accept for the catalog's models. */
export interface ModelInputs {
  "bytedance/dreamina-4-0/text-to-image": BytedanceDreamina40TextToImageInput;
  "bytedance/seedream-5/lite/text-to-image": BytedanceSeedream5LiteTextToImageInput;
  "ideogram/ideogram-v3/reframe": IdeogramIdeogramV3ReframeInput;
  "runwayml/runway-gen-3-alpha/turbo/image-to-video": RunwaymlRunwayGen3AlphaTurboImageToVideoInput;
}

export type CatalogModelId = keyof ModelInputs;

/** The input type of `M`: typed for a catalog model, any JSON object for other ids (e.g. RunComfy's other models). */
export type ModelInput<M extends string> = M extends CatalogModelId ? ModelInputs[M] : Record<string, unknown>;
