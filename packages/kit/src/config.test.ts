import { z } from 'zod';
import { baseConfigShape, ConfigError, loadConfig, mysqlUrlSetting, portSetting } from './config';

describe('loadConfig', () => {
  const shape = { ...baseConfigShape, PORT: portSetting(3000), DATABASE_URL: mysqlUrlSetting('x_auth'), LIMIT: z.coerce.number().int().positive() };

  it('fills defaults that work on a bare development machine', () => {
    const config = loadConfig(shape, { LIMIT: '5' });
    expect(config).toMatchObject({
      PORT: 3000,
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/x_auth',
      AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
      NODE_ENV: 'development',
      LIMIT: 5,
    });
  });

  it('names every wrong variable and the value it got', () => {
    let error: unknown;
    try {
      loadConfig(shape, { PORT: 'eighty', DATABASE_URL: 'postgres://x', LIMIT: '-1' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('PORT');
    expect(message).toContain('"eighty"');
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('LIMIT');
    expect((error as ConfigError).issues).toHaveLength(3);
  });
});
