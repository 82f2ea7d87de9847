#include <cstdio>

int main(int argc, char** argv) {
  std::puts("cpglake");
  return 0;
}
