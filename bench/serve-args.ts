/**
 * The `serve` arguments every bench starts the service with: an ephemeral HTTP port on loopback, its own data
 * directory, no serial discovery (no board on the bench machine), and the embedded broker on an ephemeral port.
 */
export function benchServeArgs(dataDir: string): string[] {
  return ['serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--no-serial-discovery', '--mqtt-port', '0'];
}
