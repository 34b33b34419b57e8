Console.WriteLine("narguard");
