/**
 * Catalog queries as RunComfy's clients send them (GET /v1/models?search=&category=, and
 * GET /v1/models/categories). Pure functions over the loaded models; paging is the caller's.
 */
import type { CatalogModel } from './types.ts';

export interface ModelFilter {
  /** Case-insensitive substring of the id, the display name or one of the categories. */
  search?: string;
  /** Case-insensitive exact category; one no model has matches nothing (a filter, not an error). */
  category?: string;
}

export function filterModels(models: readonly CatalogModel[], filter: ModelFilter): CatalogModel[] {
  // An empty or blank value filters nothing: clients send `search=` for "no search".
  const search = filter.search?.trim().toLowerCase() || undefined;
  const category = filter.category?.trim().toLowerCase() || undefined;
  return models.filter((model) => {
    const categories = model.categories.map((c) => c.toLowerCase());
    if (category !== undefined && !categories.includes(category)) return false;
    if (search === undefined) return true;
    return [model.id, model.displayName, ...categories].some((text) => text.toLowerCase().includes(search));
  });
}

export interface CategoryCount {
  category: string;
  count: number;
}

/** Every category a model declares, with how many models declare it, by name. */
export function categoryCounts(models: readonly CatalogModel[]): CategoryCount[] {
  const counts = new Map<string, number>();
  for (const model of models) {
    for (const category of new Set(model.categories)) counts.set(category, (counts.get(category) ?? 0) + 1);
  }
  return [...counts].map(([category, count]) => ({ category, count })).sort((a, b) => a.category.localeCompare(b.category));
}
