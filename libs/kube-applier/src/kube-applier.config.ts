import type { z } from 'zod';
import { commonConfigSchema } from '@sluice/platform';

/** The common settings (ARCHITECTURE §8); kube-applier's own variables are added here. */
export const kubeApplierConfigSchema = commonConfigSchema.extend({});

export type KubeApplierConfig = z.output<typeof kubeApplierConfigSchema>;
