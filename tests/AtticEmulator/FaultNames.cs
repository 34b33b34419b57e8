namespace AtticEmulator;

/// <summary>Parses fault names from the command line and the control route.</summary>
public static class FaultNames
{
    /// <summary>
    /// Accepts the enum name in any case, with or without <c>-</c> or <c>_</c>
    /// (<c>NarNotFound</c>, <c>nar-not-found</c>, <c>nar_not_found</c>).
    /// </summary>
    public static bool TryParse(string name, out Fault fault)
    {
        var compact = name.Replace("-", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        // Enum.TryParse also accepts numbers ("3"); a script that sends a number has a bug.
        if (compact.Length == 0 || !char.IsLetter(compact[0]))
        {
            fault = Fault.Healthy;
            return false;
        }

        return Enum.TryParse(compact, ignoreCase: true, out fault) && Enum.IsDefined(fault);
    }
}
