// Types of scripts/services.mjs for the TypeScript benchmarks and tests.
export declare const DEFAULT_DIR: string;
export declare function have(bin: string): boolean;
export declare function available(): { redis: boolean; s3: boolean };
export declare function start(opts?: { dir?: string; only?: "redis" | "s3" }): Promise<Record<string, string>>;
export declare function stop(opts?: { dir?: string }): Promise<void>;
export declare function readEnv(dir?: string): Record<string, string>;
