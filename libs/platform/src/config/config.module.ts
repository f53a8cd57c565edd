import { DynamicModule, Global, Inject, Module } from '@nestjs/common';

/** Injection token of the loaded, validated config object (a `CommonConfig` or a service's extension of it). */
export const SLUICE_CONFIG = Symbol('SLUICE_CONFIG');

/** `constructor(@InjectConfig() config: MyServiceConfig)`. */
export const InjectConfig = (): ParameterDecorator => Inject(SLUICE_CONFIG);

/**
 * Provides the already-loaded config under `SLUICE_CONFIG`, globally. The config is
 * loaded (and fails) before Nest starts, in `bootstrapService`, so a bad setting stops
 * the process with a message naming the variable instead of a half-started app.
 */
@Global()
@Module({})
export class SluiceConfigModule {
  static forRoot<C extends object>(config: C): DynamicModule {
    return {
      module: SluiceConfigModule,
      providers: [{ provide: SLUICE_CONFIG, useValue: Object.freeze({ ...config }) }],
      exports: [SLUICE_CONFIG],
    };
  }
}
