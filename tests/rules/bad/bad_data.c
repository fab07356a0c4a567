/* Breaks "no hidden state": a mutable static and a mutable global. */
int dns_bad_global = 42;
int dns_bad_counter(void);
int dns_bad_counter(void)
{
	static int hidden_counter;
	return ++hidden_counter + dns_bad_global;
}
