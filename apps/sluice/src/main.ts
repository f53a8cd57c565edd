import { allInOneConfigSchema, startAllInOne } from '@sluice/all-in-one';
import { exitOnBootFailure, loadConfig, withCommonChecks } from '@sluice/platform';

// The all-in-one app (`npm start`): every service in one process with embedded defaults.
Promise.resolve()
  .then(() => startAllInOne(loadConfig(withCommonChecks(allInOneConfigSchema))))
  .then((sluice) => {
    const stop = () => void sluice.stop().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  })
  .catch(exitOnBootFailure);
