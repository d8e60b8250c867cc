/**
 * How every benchmark prints: one figure a line, `bench <dotted.name> <number> <unit>`, and
 * comment lines (`# …`) describing the machine and the workload.
 */
import os from 'node:os';

/** Prints one figure, to 3 significant digits or whole numbers from 100 up. */
export function print(name: string, value: number, unit: string): void {
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  console.log(`bench ${name} ${value.toFixed(digits)} ${unit}`);
}

/** Prints the machine the figures were measured on. */
export function printMachine(): void {
  console.log(
    `# machine: ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`,
  );
}
