import { DataSource } from 'typeorm';

/**
 * Turns a tenant slug into its id before any tenant scope exists (login, CLI). Goes through the
 * SECURITY DEFINER function tenant_id_for_slug, which reveals the id and nothing else.
 */
export class TenantDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async idForSlug(slug: string): Promise<string | null> {
    const rows = await this.dataSource.query('SELECT tenant_id_for_slug($1) AS id', [slug]) as { id: string | null }[];
    return rows[0]?.id ?? null;
  }
}
