import { readFile } from 'node:fs/promises';
import { CliError, EXIT } from '../exit-codes.js';

/** Reads a file, or standard input for `-` / no file when input is piped; errors name the file. */
export async function readInputText(
  file: string | undefined,
  stdin: NodeJS.ReadStream = process.stdin,
): Promise<string> {
  if (file === undefined || file === '-') {
    if (file === undefined && stdin.isTTY) {
      throw new CliError('no task definition given: name a FILE, or pipe one in and use "-"', EXIT.usage);
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : (code ?? 'unreadable');
    throw new CliError(`cannot read ${file}: ${why}`, EXIT.usage);
  }
}
