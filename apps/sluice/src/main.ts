import { allInOneConfigSchema, startAllInOne, stopOnSignals } from '@sluice/all-in-one';
import { exitOnBootFailure, loadConfig, withCommonChecks } from '@sluice/platform';

// The all-in-one app (`npm start`): every service in one process with embedded defaults.
Promise.resolve()
  .then(() => startAllInOne(loadConfig(withCommonChecks(allInOneConfigSchema))))
  .then((sluice) => stopOnSignals(sluice))
  .catch(exitOnBootFailure);
