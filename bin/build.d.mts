/** Types for build.mjs, which the tests call to compile the graders before they run the command. */
export declare const ROOT: string;
export declare const OUT: string;
export declare function staleReason(): string;
export declare function build(): Promise<number>;
