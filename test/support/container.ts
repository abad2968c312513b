/**
 * Optional: a PostgreSQL with real PLV8 in Docker through testcontainers, for
 * machines that have a Docker engine (PGGIT_TEST_CONTAINER=1). The image must
 * contain PLV8; name it with PGGIT_TEST_IMAGE. Nothing depends on this path.
 */
export async function startContainer(): Promise<{ url: string; stop: () => Promise<void> }> {
  const image = process.env.PGGIT_TEST_IMAGE;
  if (!image) {
    throw new Error('PGGIT_TEST_CONTAINER=1 needs PGGIT_TEST_IMAGE: a PostgreSQL image with PLV8');
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer(image)
    .withUsername('postgres')
    .withPassword('postgres')
    .withDatabase('postgres')
    .start();
  return { url: container.getConnectionUri(), stop: async () => void (await container.stop()) };
}
