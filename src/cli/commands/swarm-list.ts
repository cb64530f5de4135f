/** `tickstorm swarm -f FILE -l/--list`: Locust's list of the file's user classes, then exit 0. */
import { EXIT_INVALID_CONFIG, loadUserFile, problemsText, UserFileError } from '@tickstorm/loadlab';

export async function listUserClasses(locustfile: string | undefined): Promise<number> {
  if (locustfile === undefined) {
    console.error(
      problemsText('tickstorm swarm', ['-f/--locustfile is required: the user file (a .ts or .js module)']),
    );
    return EXIT_INVALID_CONFIG;
  }
  try {
    const file = await loadUserFile(locustfile);
    console.log(['Available Users:', ...[...file.classes.keys()].map((n) => `    ${n}`)].join('\n'));
    return 0;
  } catch (e) {
    if (!(e instanceof UserFileError)) throw e;
    console.error(problemsText('tickstorm swarm', e.problems));
    return EXIT_INVALID_CONFIG;
  }
}
