/** @tgwf/co2 ships no types for its data entry point; only what we read is declared. */
declare module '@tgwf/co2/data' {
  export const averageIntensity: { type: string; data: Record<string, number> };
  export const electricityMaps: Record<
    string,
    { data: Record<string, { zone?: { zoneName?: string; countryName?: string }; carbonIntensity?: { value?: number } }> }
  >;
}
