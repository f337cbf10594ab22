export * from './credit-code';
export * from './id-number';
export * from './mask';
export * from './form-values';
export * from './text';
