import { ConfigError, loadConfig } from '@x/kit';
import { headquarterConfig, kpiPrefix } from './config';

describe('headquarter configuration', () => {
  it("names the KPI keys after the trail's database unless HQ_REDIS_PREFIX says otherwise", () => {
    expect(kpiPrefix(loadConfig(headquarterConfig, {}))).toBe('x_headquarter:');
    expect(kpiPrefix(loadConfig(headquarterConfig, { DATABASE_URL: 'mysql://u:p@db:3306/t_run1_x_headquarter' }))).toBe('t_run1_x_headquarter:');
    expect(kpiPrefix(loadConfig(headquarterConfig, { HQ_REDIS_PREFIX: 'hq-blue:' }))).toBe('hq-blue:');
  });

  it('refuses a prefix with SCAN pattern characters, naming the variable', () => {
    expect(() => loadConfig(headquarterConfig, { HQ_REDIS_PREFIX: 'hq*' })).toThrow(ConfigError);
    expect(() => loadConfig(headquarterConfig, { HQ_REDIS_PREFIX: 'hq*' })).toThrow(/HQ_REDIS_PREFIX/);
  });
});
